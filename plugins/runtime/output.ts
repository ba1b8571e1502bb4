// The only place that writes stdout or sets the exit code: xapi reads exactly one JSON value.
import type { WireError } from "./wire-error.js";

export const EXIT_FAILURE = 1;

const write = (text: string): Promise<void> =>
  new Promise((resolve) => {
    process.stdout.write(text, () => resolve());
  });

// Unit results print `null`, never nothing.
export const printResult = (value: unknown): Promise<void> => write(`${JSON.stringify(value ?? null)}\n`);

export const printError = async (err: WireError): Promise<void> => {
  process.exitCode = EXIT_FAILURE;
  await write(`${JSON.stringify(err)}\n`);
};

export const printText = (text: string): Promise<void> => write(text.endsWith("\n") ? text : `${text}\n`);

export const failHuman = async (text: string): Promise<void> => {
  process.exitCode = EXIT_FAILURE;
  process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
};
