import { z } from 'zod';

export const adminConfigSchema = z
  .object({
    /** Bearer token of the admin API (/admin/...); unset disables it. */
    token: z.string().min(32, 'use at least 32 characters (openssl rand -hex 32)').optional(),
  })
  .prefault({});
export type AdminConfig = z.infer<typeof adminConfigSchema>;

export const ADMIN_ENV: ReadonlyArray<readonly [env: string, path: string]> = [['ADMIN_TOKEN', 'admin.token']];
