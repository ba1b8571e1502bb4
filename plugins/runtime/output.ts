// The only place that writes stdout or sets the exit code: xapi reads exactly one JSON value.
import { writeStd } from "../std-write.js";
import type { WireError } from "./wire-error.js";

export const EXIT_FAILURE = 1;

const write = (text: string): Promise<void> => writeStd(1, text);

// Unit results print `null`, never nothing.
export const printResult = (value: unknown): Promise<void> => write(`${JSON.stringify(value ?? null)}\n`);

export const printError = async (err: WireError): Promise<void> => {
  process.exitCode = EXIT_FAILURE;
  await write(`${JSON.stringify(err)}\n`);
};

export const printText = (text: string): Promise<void> => write(text.endsWith("\n") ? text : `${text}\n`);

export const failHuman = async (text: string): Promise<void> => {
  process.exitCode = EXIT_FAILURE;
  await writeStd(2, text.endsWith("\n") ? text : `${text}\n`);
};
