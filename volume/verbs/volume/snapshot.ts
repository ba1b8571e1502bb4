import { defineVerb } from "../../../plugins/runtime/verb.js";
import { VolumeSnapshot } from "../../../plugins/wire/verbs.js";
import { snapshotVolume } from "../../services/snapshots.js";

export default defineVerb(VolumeSnapshot, (p, ctx) => snapshotVolume(ctx, p));
