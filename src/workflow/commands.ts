import { z } from 'zod';
import { TandemError, type ErrorCode } from '../common/index.js';
import { IDENTIFIER, SCHEDULE_ID, workflowPathSchema } from '../state/index.js';
import { CronError, parseCron } from './cron.js';
import { jsonPath } from './json-path.js';
import { deployableWorkflowSchema } from './workflow-validator.js';

/** Ids of orders a user adds; `|` is left out because fork children use it. */
export const ORDER_ID = /^[A-Za-z0-9_.:#-]{1,200}$/;
/** Ids naming existing orders, fork children included. */
const EXISTING_ORDER_ID = /^[A-Za-z0-9_.:#|-]{1,1000}$/;

const newOrderId = z.string().regex(ORDER_ID, "an order id is 1–200 characters of [A-Za-z0-9_.:#-] ('|' is reserved)");
const orderIds = z.array(z.string().regex(EXISTING_ORDER_ID, 'not an order id')).min(1, 'name at least one order');
const userArguments = z.record(
  z.string().regex(IDENTIFIER, 'an argument name is [A-Za-z_][A-Za-z0-9_]*'),
  z.union([z.string(), z.number(), z.boolean()]),
);
const command = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) => z.strictObject({ TYPE: z.literal(type), ...shape });

const scheduleInput = z
  .strictObject({
    id: z.string().regex(SCHEDULE_ID, 'a schedule id is 1–150 characters of [A-Za-z0-9_.:-]'),
    workflowPath: workflowPathSchema,
    cron: z.string().max(200),
    arguments: userArguments.exactOptional(),
  })
  .superRefine((s, ctx) => {
    try {
      parseCron(s.cron);
    } catch (err) {
      if (!(err instanceof CronError)) throw err;
      ctx.addIssue({ code: 'custom', path: ['cron'], message: `not a valid cron expression: ${err.message}`, params: { tandemCode: 'InvalidSchedule' } });
    }
  });

/**
 * Every command this node understands, by TYPE. Exported so the cluster issue can
 * pass an extended map to `parseCommandWith`.
 */
export const commandSchemas = {
  DeployWorkflow: command('DeployWorkflow', { workflow: deployableWorkflowSchema }),
  AddOrder: command('AddOrder', {
    order: z.strictObject({
      id: newOrderId,
      workflowPath: workflowPathSchema,
      arguments: userArguments.exactOptional(),
      scheduledFor: z.number().int().min(0).exactOptional(),
    }),
  }),
  CancelOrders: command('CancelOrders', { orderIds }),
  SuspendOrders: command('SuspendOrders', { orderIds }),
  ResumeOrders: command('ResumeOrders', { orderIds }),
  DeploySchedule: command('DeploySchedule', { schedule: scheduleInput }),
  DeleteSchedule: command('DeleteSchedule', { scheduleId: z.string().regex(SCHEDULE_ID, 'not a schedule id') }),
  TakeSnapshot: command('TakeSnapshot', {}),
  ShutDown: command('ShutDown', { clusterAction: z.enum(['Failover', 'Switchover']).exactOptional() }),
} as const;

type SchemaMap = Readonly<Record<string, z.ZodType>>;
export type CommandOf<M extends SchemaMap> = z.output<M[keyof M]>;
export type Command = CommandOf<typeof commandSchemas>;
export type CommandType = Command['TYPE'];
/** Commands that change business state; TakeSnapshot and ShutDown are the controller's own. */
export type BusinessCommand = Exclude<Command, { TYPE: 'TakeSnapshot' | 'ShutDown' }>;

/** Narrows a request body to a command; throws UnknownCommand, InvalidRequest, InvalidWorkflow or InvalidSchedule. */
export function parseCommand(body: unknown): Command {
  return parseCommandWith(commandSchemas, body);
}

/** parseCommand over any map of command schemas by TYPE. */
export function parseCommandWith<M extends SchemaMap>(schemas: M, body: unknown): CommandOf<M> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('$', 'expected a JSON object with a TYPE');
  }
  const type: unknown = Reflect.get(body, 'TYPE');
  if (typeof type !== 'string') throw invalid('$.TYPE', type === undefined ? 'missing' : 'expected a string');
  const schema = Object.hasOwn(schemas, type) ? schemas[type] : undefined;
  if (schema === undefined) {
    throw new TandemError('UnknownCommand', `Unknown command TYPE '${type}'; known: ${Object.keys(schemas).join(', ')}.`, { TYPE: type });
  }
  const result = schema.safeParse(body);
  // The schema was chosen by `type` from `schemas`, so its output is one of the map's outputs.
  if (result.success) return withoutNegativeZero(result.data) as CommandOf<M>;
  const issue = result.error.issues[0];
  if (issue === undefined) throw invalid('$', 'invalid');
  const segments = issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...issue.path, issue.keys[0]] : issue.path;
  const path = jsonPath(segments);
  const problem = issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
  const code = codeFor(type, segments, issue.code === 'custom' ? issue.params : undefined);
  throw new TandemError(code, `${path}: ${problem}`, { path, problem });
}

/**
 * JSON can say -0, the journal's msgpack cannot (it stores 0): replace it up front so
 * the state a command builds equals the state a replay builds. A command without -0,
 * which is nearly every one, is returned as it is (the schema's output is a fresh
 * object already), without a copy per command.
 */
function withoutNegativeZero(value: unknown): unknown {
  return holdsNegativeZero(value) ? negativeZeroReplaced(value) : value;
}

function holdsNegativeZero(value: unknown): boolean {
  if (typeof value === 'number') return Object.is(value, -0);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(holdsNegativeZero);
  for (const key in value) if (holdsNegativeZero((value as Record<string, unknown>)[key])) return true;
  return false;
}

function negativeZeroReplaced(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(negativeZeroReplaced);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = negativeZeroReplaced(v);
    return out;
  }
  return value;
}

function codeFor(type: string, path: readonly PropertyKey[], params: Record<string, unknown> | undefined): ErrorCode {
  const tagged = params?.['tandemCode'];
  if (tagged === 'InvalidSchedule' || tagged === 'InvalidWorkflow') return tagged;
  if (type === 'DeployWorkflow' && path[0] === 'workflow') return 'InvalidWorkflow';
  return 'InvalidRequest';
}

function invalid(path: string, problem: string): TandemError {
  return new TandemError('InvalidRequest', `${path}: ${problem}`, { path, problem });
}
