import { readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { TandemError, type NodeId } from '../common/index.js';

const fileName = 'node-identity.json';

/**
 * A data directory belongs to one node for life: a former primary must not come
 * back as a backup (its journal would be taken for the pair's), and the other way
 * round. The node id is written at the first start and checked at every later one.
 */
export async function claimDataDirectory(dataDir: string, nodeId: NodeId): Promise<void> {
  const path = join(dataDir, fileName);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text === undefined) {
    await writeFile(`${path}.tmp`, `${JSON.stringify({ nodeId })}\n`);
    await rename(`${path}.tmp`, path);
    return;
  }
  let stored: unknown;
  try {
    stored = (JSON.parse(text) as { nodeId?: unknown }).nodeId;
  } catch {
    stored = undefined;
  }
  if (stored !== nodeId) {
    const was = typeof stored === 'string' ? stored : 'unknown';
    throw new TandemError(
      'ClusterRoleConflict',
      `This data directory belongs to node ${was}, but the configuration makes this node ${nodeId}` +
        (nodeId === 'Backup' ? ' (js7.journal.cluster.node.is-backup = yes). A former primary cannot become the backup: give the backup an empty data directory.' : '. Use the data directory of this node.'),
      { dataDir, configured: nodeId, recorded: was },
    );
  }
}
