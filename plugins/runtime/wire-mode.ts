// xapi-storage-script runs a verb as `<Verb> --json` (params on stdin); anything else is an
// admin at a terminal.
export const isWireMode = (argv: readonly string[]): boolean => argv.length === 1 && argv[0] === "--json";
