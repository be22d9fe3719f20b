import { z } from 'zod';

export const collectionName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, . _ - (at most 64, starting with a letter or digit)');
export const documentId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'letters, digits, . _ : - (at most 128, starting with a letter or digit)');

const metadata = z.record(z.string().max(64), z.union([z.string().max(1_000), z.number(), z.boolean(), z.null()])).refine((m) => Object.keys(m).length <= 32, 'at most 32 metadata fields');

export function documentSchema(maxBytes: number) {
  return z
    .object({
      title: z.string().max(300).optional(),
      /** How to read `content`: plain text, Markdown, or HTML (its visible text is used). */
      format: z.enum(['text', 'markdown', 'html']).default('text'),
      content: z.string().min(1, 'a document needs content').refine((s) => Buffer.byteLength(s) <= maxBytes, `at most ${maxBytes} bytes of content`),
      metadata: metadata.default({}),
    })
    .strict();
}

export function uploadSchema(maxBytes: number, maxDocuments: number) {
  return z
    .object({
      documents: z
        .array(documentSchema(maxBytes).extend({ id: documentId }))
        .min(1, 'send at least one document')
        .max(maxDocuments, `at most ${maxDocuments} documents per upload (retrieval.ingest.maxDocuments)`)
        .superRefine((docs, ctx) => {
          const seen = new Set<string>();
          docs.forEach((d, i) => {
            if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `document id '${d.id}' appears twice in this upload` });
            seen.add(d.id);
          });
        }),
    })
    .strict();
}

export const searchSchema = z
  .object({
    query: z.string().min(1, 'a search needs a query').max(8_000),
  })
  .strict();
