#!/usr/bin/env node
import { reportError } from './report-error.js';
import { productVersion } from '../common/product-version.js';

const usage = `tandem — a workflow controller pair with a replicated journal

  tandem start --config-dir DIR --data-dir DIR [--https-port N | --http-port N] [--host ADDR] [--log-level L]
  tandem watch --config-dir DIR --data-dir DIR [--node URL]... [--log-level L]   the cluster watch (needs two nodes)
  tandem cluster status|appoint|switchover|shutdown --url URL [--url URL] [--user U] [--ca FILE] [--json]
  tandem cluster confirm-loss --url URL [--url URL] --lost NODE_ID   stand in for the watch once
  tandem certificates --dir DIR --node NAME[=HOST,…]… [--days N]   a CA and node certificates for HTTPS
  tandem journal inspect DATA_DIR      summary of the journal files
  tandem journal verify DATA_DIR       check every record; exit 1 when damaged
  tandem dev                           local node for trying Tandem (what npm start runs)
  tandem license show FILE [--trusted-key PEMFILE]...    the licence's fields; exit 1 unless valid now
  tandem license verify FILE [--trusted-key PEMFILE]...  "valid until …" or the problem; exit 0/1
  tandem license issue --private-key PEMFILE --licensee NAME --valid-until DATE [--valid-from DATE] [--id ID] --out FILE
  tandem license keygen --out-dir DIR  a throw-away licence issuer keypair (development, tests)
  tandem --version | --help`;

/** The CLI: the only place that exits the process. Each command is loaded when used: `--version` needs no HTTP server. */
async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return (await import('./start-command.js')).runStartCommand(rest);
    case 'journal':
      return (await import('./journal-command.js')).runJournalCommand(rest);
    case 'dev':
      return (await import('./dev-command.js')).runDevCommand(rest);
    case 'watch':
      return (await import('./watch-command.js')).runWatchCommand(rest);
    case 'license':
      return (await import('./license-command.js')).runLicenseCommand(rest);
    case 'cluster':
      return (await import('./cluster-command.js')).runClusterCommand(rest);
    case 'certificates':
      return (await import('./certificates-command.js')).runCertificatesCommand(rest);
    case '--version':
    case 'version':
      process.stdout.write(`${productVersion()}\n`);
      return 0;
    case undefined:
    case '--help':
    case 'help':
      process.stdout.write(`${usage}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command ${command}\n\n${usage}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    reportError(err);
    process.exitCode = 1;
  },
);
