import { hasCode, toProblem, type Logger, type Problem } from '../common/index.js';

/**
 * The last problem a node has talking to its peer, for `GET /cluster?return=ClusterNodeState`
 * and `/health/ready`. Logged once when it starts or changes code, not on every retry.
 */
export class PeerProblem {
  readonly #logger: Logger;
  readonly #recovered: string;
  #current: Problem | undefined;

  constructor(logger: Logger, recovered: string) {
    this.#logger = logger;
    this.#recovered = recovered;
  }

  get current(): Problem | undefined {
    return this.#current;
  }

  set(err: unknown, what: string): void {
    const problem = toProblem(err);
    const first = this.#current?.code !== problem.code;
    // An unexpected error keeps its own message here: this view is for the operator of the node.
    this.#current = hasCode(err, problem.code) ? problem : { ...problem, message: err instanceof Error ? err.message : String(err) };
    if (first) this.#logger.warn({ problem: this.#current }, what);
  }

  clear(): void {
    if (this.#current === undefined) return;
    this.#current = undefined;
    this.#logger.info(this.#recovered);
  }
}
