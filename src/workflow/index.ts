// The workflow layer: pure decisions over the controller state (commands, the order
// engine, cron) plus the job executor that runs what the engine decides.
export { decideCommand, type Accepted, type Decision } from './command-decider.js';
export {
  clusterCommandSchemas,
  clusterNodeCommandSchemas,
  controllerCommandSchemas,
  decideAppointNodes,
  isClusterCommand,
  parseClusterNodeCommand,
  parseControllerCommand,
  type ClusterAppointNodes,
  type ClusterCommand,
  type ClusterNodeCommand,
  type ClusterNodeCommandType,
  type ControllerCommand,
} from './cluster-commands.js';
export {
  ORDER_ID,
  commandSchemas,
  parseCommand,
  parseCommandWith,
  type BusinessCommand,
  type Command,
  type CommandOf,
  type CommandType,
} from './commands.js';
export { CronError, countTicks, cronOf, nextTick, parseCron, prevTick, type CronExpression } from './cron.js';
export { parseDuration } from './duration.js';
export { advanceOrder, ordersToAdvance, ordersToKill, type Advance } from './engine.js';
export { ExpressionError, evaluatePredicate, parseExpression, type Expr, type Value } from './expression.js';
export { jsonPath } from './json-path.js';
export { jobEnv, readEnvValue, type EnvResolution, type EnvValue } from './order-env.js';
export { outcomeOf, type JobEnd } from './outcome-mapping.js';
export { jobOf, type PreparedJob } from './prepared-job.js';
export { dueScheduleEvents, nextScheduleWake, scheduledOrderId, type CatchUpOptions } from './schedule-firing.js';
export { deployableWorkflowSchema, validateWorkflow, workflowProblems, type DeployableWorkflow, type WorkflowProblem } from './workflow-validator.js';
export * from './job-executor.js';
