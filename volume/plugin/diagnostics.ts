import { hostname } from "node:os";
import { toolVersion } from "../../plugins/ceph/versions.js";
import { defineVerb } from "../../plugins/runtime/verb.js";
import { VERSION } from "../../plugins/version.js";
import { PluginDiagnostics } from "../../plugins/wire/verbs.js";

export default defineVerb(PluginDiagnostics, async (_p, ctx) => {
  const [rbd, rados] = await Promise.all([toolVersion("rbd", ctx.log), toolVersion("rados", ctx.log)]);
  return [
    `ceph-rbd volume plugin ${VERSION}`,
    `host: ${hostname()}`,
    `node: ${process.version} (${process.platform}/${process.arch})`,
    `rbd: ${rbd}`,
    `rados: ${rados}`,
  ].join("\n");
});
