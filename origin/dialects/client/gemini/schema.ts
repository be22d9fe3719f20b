/**
 * Gemini API request bodies (`generateContent`, `countTokens`), as far as they are honoured.
 * Objects are loose where Google's SDKs and Gemini CLI send fields an open engine cannot use
 * (safetySettings, cachedContent, labels, server tools…): accepted and ignored, never a failure.
 * `generationConfig` is strict: a misspelt sampling field would otherwise be silently ignored,
 * so an unknown key there is a 400 naming it, as Google's own API answers.
 */
import { z } from 'zod';

const schemaObject = z.record(z.string(), z.unknown());

const functionCall = z.looseObject({ id: z.string().optional(), name: z.string().min(1, 'functionCall.name is required'), args: schemaObject.optional() });
const functionResponse = z.looseObject({ id: z.string().optional(), name: z.string().min(1, 'functionResponse.name is required'), response: schemaObject.optional() });

export const partSchema = z.looseObject({
  text: z.string().optional(),
  thought: z.boolean().optional(),
  thoughtSignature: z.string().optional(),
  inlineData: z.looseObject({ mimeType: z.string(), data: z.string() }).optional(),
  fileData: z.looseObject({ mimeType: z.string().optional(), fileUri: z.string() }).optional(),
  functionCall: functionCall.optional(),
  functionResponse: functionResponse.optional(),
});
export type Part = z.infer<typeof partSchema>;

export const contentSchema = z.looseObject({
  // `function` is the role older clients give function responses; read as the user's turn.
  role: z.enum(['user', 'model', 'function']).optional(),
  parts: z.array(partSchema),
});
export type Content = z.infer<typeof contentSchema>;

const functionDeclaration = z.looseObject({
  name: z.string().min(1, 'a function declaration needs a name'),
  description: z.string().optional(),
  parameters: schemaObject.optional(),
  parametersJsonSchema: schemaObject.optional(),
});

/** One entry of `tools`: function declarations, or a server tool (googleSearch…) that is skipped. */
const tool = z.looseObject({ functionDeclarations: z.array(functionDeclaration).optional() });

const toolConfig = z.looseObject({
  functionCallingConfig: z
    .looseObject({
      mode: z.enum(['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED']).optional(),
      allowedFunctionNames: z.array(z.string()).optional(),
    })
    .optional(),
});

const thinkingConfig = z.looseObject({
  includeThoughts: z.boolean().optional(),
  thinkingBudget: z.number().int().min(-1, 'thinkingBudget is -1 (dynamic), 0 (off) or a positive number of tokens').optional(),
  thinkingLevel: z.enum(['THINKING_LEVEL_UNSPECIFIED', 'MINIMAL', 'LOW', 'MEDIUM', 'HIGH']).optional(),
});

export const generationConfigSchema = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().min(0).max(1).optional(),
  topK: z.number().int().positive().optional(),
  maxOutputTokens: z.number().int().positive('maxOutputTokens must be a positive integer').optional(),
  stopSequences: z.array(z.string()).max(5, 'at most 5 stopSequences').optional(),
  candidateCount: z.literal(1, 'candidateCount: only one candidate is generated here (1)').optional(),
  seed: z.number().int().optional(),
  presencePenalty: z.number().optional(),
  frequencyPenalty: z.number().optional(),
  responseMimeType: z.enum(['text/plain', 'application/json'], 'responseMimeType: "text/plain" or "application/json" (text/x.enum is not supported)').optional(),
  responseSchema: schemaObject.optional(),
  responseJsonSchema: schemaObject.optional(),
  responseLogprobs: z.boolean().optional(),
  logprobs: z.number().int().min(0).max(20).optional(),
  thinkingConfig: thinkingConfig.optional(),
  // Google's fields that mean nothing to a text engine: accepted, ignored.
  responseModalities: z.array(z.string()).optional(),
  mediaResolution: z.string().optional(),
  speechConfig: z.unknown().optional(),
  imageConfig: z.unknown().optional(),
  audioTimestamp: z.boolean().optional(),
  enableAffectiveDialog: z.boolean().optional(),
  enableEnhancedCivicAnswers: z.boolean().optional(),
  routingConfig: z.unknown().optional(),
  modelSelectionConfig: z.unknown().optional(),
});
export type GenerationConfig = z.infer<typeof generationConfigSchema>;

const prompt = {
  contents: z.array(contentSchema).min(1, 'contents must hold at least one content'),
  systemInstruction: z.union([z.string(), contentSchema]).optional(),
  tools: z.array(tool).optional(),
  toolConfig: toolConfig.optional(),
};

export const generateContentSchema = z.looseObject({ ...prompt, generationConfig: generationConfigSchema.optional() });
export type GenerateContentBody = z.infer<typeof generateContentSchema>;

/** What the route adds from the URL: whether, and how, it streams (`fromUrl`). */
export interface FromUrl {
  stream: boolean;
  /** `:streamGenerateContent` without `?alt=sse`: Google answers a JSON array of chunks. */
  asArray: boolean;
}
/** The model is the path's, laid over the body by the request's facts (origin/http/request-facts.ts). */
export type GeminiRequest = GenerateContentBody & FromUrl & { model: string };

/** `countTokens`: the contents alone, or a whole generateContent request (Google's two forms). */
export const countTokensSchema = z
  .looseObject({
    contents: prompt.contents.optional(),
    generateContentRequest: z.looseObject({ ...prompt, generationConfig: generationConfigSchema.optional() }).optional(),
    // The path's, laid over the body by the request's facts.
    model: z.string(),
  })
  .refine((b) => b.contents !== undefined || b.generateContentRequest !== undefined, { message: 'send contents, or a generateContentRequest', path: ['contents'] });
export type CountTokensBody = z.infer<typeof countTokensSchema>;
