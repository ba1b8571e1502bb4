// A schema built when first used, then kept. A verb is a process of its own that checks one
// verb's params and result: building every schema of the IDL at start cost each verb a third of
// a Plugin.Query (records and verbs: 25–30 M instructions; zod builds each schema's object with
// its methods bound one by one).
export const once = <T>(build: () => T): (() => T) => {
  let built: T | undefined;
  return () => (built ??= build());
};
