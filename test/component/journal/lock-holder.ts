// Child process for lock.test: opens the journal in argv[2], commits three events,
// says "ready" and then holds the journal until it is killed.
import { silentLogger, systemClock } from '../../../src/common/index.js';
import { Journal } from '../../../src/journal/index.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: lock-holder DIR');
const { journal } = await Journal.open({
  dir,
  sync: true,
  rotateBytes: 1 << 30,
  rotateAgeMs: 3_600_000,
  clock: systemClock,
  logger: silentLogger(),
  snapshot: () => [],
});
for (let i = 0; i < 3; i += 1) await journal.append([{ TYPE: 'Held', i }]).committed;
process.stdout.write('ready\n');
setInterval(() => undefined, 60_000);
