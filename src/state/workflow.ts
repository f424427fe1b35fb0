import { z } from 'zod';
import type { Immutable } from './immutable.js';

/**
 * The structure of a workflow as it is deployed and journaled. Semantic checks that
 * need the workflow layer (predicates parse, fork ids unique, env references) live in
 * `src/workflow/workflow-validator.ts`; this schema is what a journal event must hold.
 */

export const WORKFLOW_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const FORK_BRANCH_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** `500ms`, `30s`, `1.5m`, `2h`, `1d`. */
export const DURATION = /^\d+(\.\d+)?(ms|s|m|h|d)$/;

export const workflowPathSchema = z.string().max(255).regex(WORKFLOW_PATH, 'a path is made of [A-Za-z0-9_.-] segments separated by /');

const intList = z.array(z.number().int());

export const jobSchema = z.strictObject({
  script: z.string().min(1, 'the script must not be empty'),
  env: z.record(z.string().regex(IDENTIFIER, 'an env name is [A-Za-z_][A-Za-z0-9_]*'), z.string()).exactOptional(),
  timeout: z.string().regex(DURATION, 'a duration is like 500ms, 30s, 5m, 2h or 1d').exactOptional(),
  restartable: z.boolean().exactOptional(),
  returnCodeMeaning: z
    .union([z.strictObject({ success: intList }), z.strictObject({ failure: intList })], 'expected {"success": [codes]} or {"failure": [codes]}')
    .exactOptional(),
});

const executeSchema = z.strictObject({ TYPE: z.literal('Execute'), job: jobSchema });

const ifSchema = z.strictObject({
  TYPE: z.literal('If'),
  predicate: z.string().min(1).max(1000),
  get then() {
    return instructionListSchema;
  },
  // `.optional()` rather than `.exactOptional()`: zod 4 loses exact-optional keys behind getters.
  get else() {
    return instructionListSchema.optional();
  },
});

const forkBranchSchema = z.strictObject({
  id: z.string().regex(FORK_BRANCH_ID, 'a branch id is 1–64 of [A-Za-z0-9_-]'),
  get instructions() {
    return instructionListSchema;
  },
});

const forkSchema = z.strictObject({
  TYPE: z.literal('Fork'),
  get branches() {
    return z.array(forkBranchSchema).min(1, 'a Fork needs at least one branch');
  },
});

const retrySchema = z.strictObject({
  TYPE: z.literal('Retry'),
  maxTries: z.number().int().min(1).max(1000),
  retryDelays: z.array(z.string().regex(DURATION, 'a duration is like 500ms, 30s, 5m, 2h or 1d')).exactOptional(),
  get instructions() {
    return instructionListSchema;
  },
});

const tryCatchSchema = z.strictObject({
  TYPE: z.literal('TryCatch'),
  get try() {
    return instructionListSchema;
  },
  get catch() {
    return instructionListSchema;
  },
});

const failSchema = z.strictObject({
  TYPE: z.literal('Fail'),
  message: z.string().exactOptional(),
  returnCode: z.number().int().exactOptional(),
});

const finishSchema = z.strictObject({ TYPE: z.literal('Finish') });

export const instructionSchema = z.discriminatedUnion('TYPE', [
  executeSchema,
  ifSchema,
  forkSchema,
  retrySchema,
  tryCatchSchema,
  failSchema,
  finishSchema,
]);

const instructionListSchema: z.ZodArray<typeof instructionSchema> = z
  .array(instructionSchema)
  .min(1, 'an instruction list must not be empty');

export const workflowSchema = z.strictObject({
  path: workflowPathSchema,
  versionId: z.number().int().min(1),
  instructions: instructionListSchema,
});

export type Job = Immutable<z.infer<typeof jobSchema>>;
export type Instruction = Immutable<z.infer<typeof instructionSchema>>;
export type Workflow = Immutable<z.infer<typeof workflowSchema>>;
export type WorkflowPath = string;

export type InstructionType = Instruction['TYPE'];
export type InstructionOf<T extends InstructionType> = Extract<Instruction, { TYPE: T }>;
