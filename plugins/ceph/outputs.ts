// zod schemas for the `--format json` output of the Ceph CLIs we read. Only the fields we use;
// unknown fields are ignored so that a newer Ceph does not break us.
import { z } from "zod";

export const LockInfo = z.object({
  lockers: z.array(z.object({ name: z.string(), cookie: z.string(), addr: z.string().optional() })),
});

export const ImageInfo = z.object({
  name: z.string(),
  id: z.string(),
  size: z.number(),
  object_size: z.number(),
  features: z.array(z.string()),
  parent: z.object({ pool: z.string(), image: z.string(), snapshot: z.string() }).partial().optional(),
});
export type ImageInfo = z.infer<typeof ImageInfo>;

export const SnapList = z.array(
  z.object({ id: z.number(), name: z.string(), size: z.number(), namespace: z.object({ type: z.string() }).partial().optional() }),
);

export const NamespaceList = z.array(z.object({ name: z.string() }));
export const ImageList = z.array(z.string());
export const TrashList = z.array(z.object({ id: z.string(), name: z.string() }));

export const Df = z.object({
  pools: z.array(
    z.object({
      name: z.string(),
      stats: z.object({ stored: z.number(), max_avail: z.number(), quota_bytes: z.number().optional() }),
    }),
  ),
});

export const Health = z.object({
  status: z.string(),
  checks: z.record(z.string(), z.object({ severity: z.string(), summary: z.object({ message: z.string() }) })).default({}),
});
export type Health = z.infer<typeof Health>;

export const parseJson = <T>(schema: z.ZodType<T>, text: string, what: string): T => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${what}: output is not JSON: ${text.slice(0, 200)}`);
  }
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(`${what}: unexpected output shape: ${r.error.issues[0]?.message ?? ""}`);
  return r.data;
};

export const DiskUsage = z.object({
  images: z.array(z.object({ name: z.string(), snapshot: z.string().optional(), used_size: z.number() })),
});
