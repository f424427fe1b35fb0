import { z } from 'zod';
import { TandemError } from '../common/index.js';
import { instructionSchema, workflowPathSchema, type Instruction, type Job } from '../state/index.js';
import { parseDuration } from './duration.js';
import { ExpressionError, parseExpression } from './expression.js';
import { readEnvValue } from './order-env.js';
import { jsonPath } from './json-path.js';

/** A problem found in a workflow, with where it is (zod-style path segments). */
export interface WorkflowProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

const MAX_NESTING = 32;

/** Checks a structurally valid instruction list for what a schema cannot see; [] when fine. */
export function workflowProblems(instructions: readonly Instruction[], base: readonly (string | number)[] = ['instructions']): WorkflowProblem[] {
  const problems: WorkflowProblem[] = [];
  checkList(instructions, base, 0, problems);
  return problems;
}

function checkList(list: readonly Instruction[], path: readonly (string | number)[], depth: number, out: WorkflowProblem[]): void {
  if (depth > MAX_NESTING) {
    out.push({ path, message: `blocks are nested deeper than ${MAX_NESTING}` });
    return;
  }
  list.forEach((instruction, i) => checkInstruction(instruction, [...path, i], depth + 1, out));
}

function checkInstruction(instr: Instruction, path: readonly (string | number)[], depth: number, out: WorkflowProblem[]): void {
  switch (instr.TYPE) {
    case 'Execute':
      return checkJob(instr.job, [...path, 'job'], out);
    case 'If':
      try {
        parseExpression(instr.predicate);
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        out.push({ path: [...path, 'predicate'], message: `the predicate does not parse: ${err.message}` });
      }
      checkList(instr.then, [...path, 'then'], depth, out);
      if (instr.else !== undefined) checkList(instr.else, [...path, 'else'], depth, out);
      return;
    case 'Fork': {
      const seen = new Set<string>();
      instr.branches.forEach((branch, i) => {
        if (seen.has(branch.id)) out.push({ path: [...path, 'branches', i, 'id'], message: `branch id '${branch.id}' is used twice` });
        seen.add(branch.id);
        checkList(branch.instructions, [...path, 'branches', i, 'instructions'], depth, out);
      });
      return;
    }
    case 'Retry':
      instr.retryDelays?.forEach((d, i) => {
        if (parseDuration(d) === undefined) out.push({ path: [...path, 'retryDelays', i], message: `'${d}' is not a duration` });
      });
      checkList(instr.instructions, [...path, 'instructions'], depth, out);
      return;
    case 'TryCatch':
      checkList(instr.try, [...path, 'try'], depth, out);
      checkList(instr.catch, [...path, 'catch'], depth, out);
      return;
    case 'Fail':
    case 'Finish':
      return;
    default:
      return unreachable(instr);
  }
}

function checkJob(job: Job, path: readonly (string | number)[], out: WorkflowProblem[]): void {
  if (job.timeout !== undefined) {
    const ms = parseDuration(job.timeout);
    if (ms === undefined || ms <= 0) out.push({ path: [...path, 'timeout'], message: `'${job.timeout}' is not a positive duration` });
  }
  for (const [key, raw] of Object.entries(job.env ?? {})) {
    if (readEnvValue(raw) === undefined) {
      out.push({ path: [...path, 'env', key], message: `'${raw}': after $ comes an argument name; write $$ for a literal $` });
    }
  }
  const meaning = job.returnCodeMeaning;
  if (meaning !== undefined && ('success' in meaning ? meaning.success : meaning.failure).length === 0) {
    out.push({ path: [...path, 'returnCodeMeaning'], message: 'the list of return codes must not be empty' });
  }
}

/** The workflow as a DeployWorkflow command carries it: no versionId (the controller assigns one). */
export const deployableWorkflowSchema = z
  .strictObject({
    path: workflowPathSchema,
    instructions: z.array(instructionSchema).min(1, 'an instruction list must not be empty'),
  })
  .superRefine((w, ctx) => {
    for (const p of workflowProblems(w.instructions)) {
      ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message });
    }
  });

export type DeployableWorkflow = z.infer<typeof deployableWorkflowSchema>;

/** Validates a workflow definition from outside; throws InvalidWorkflow naming the JSON path. */
export function validateWorkflow(raw: unknown): DeployableWorkflow {
  const result = deployableWorkflowSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = jsonPath(issue?.path ?? []);
  const problem = issue?.message ?? 'invalid';
  throw new TandemError('InvalidWorkflow', `${path}: ${problem}`, { path, problem });
}

function unreachable(x: never): never {
  throw new Error(`unhandled instruction ${JSON.stringify(x)}`);
}
