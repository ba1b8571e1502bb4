// Stamped by the bundler from package.json; "dev" when run from source (tests).
declare const __PLUGIN_VERSION__: string | undefined;
export const VERSION: string = typeof __PLUGIN_VERSION__ === "string" ? __PLUGIN_VERSION__ : "dev";
