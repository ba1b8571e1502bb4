import { defineVerb } from "../../plugins/runtime/verb.js";
import { PluginQuery } from "../../plugins/wire/verbs.js";
import { queryResult } from "../query.js";

export default defineVerb(PluginQuery, async () => queryResult("rbd+nbd"));
