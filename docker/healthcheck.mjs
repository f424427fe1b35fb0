#!/usr/bin/env node
// The image's HEALTHCHECK: asks the node in this container for
// GET /controller/api/health/live over HTTPS on loopback. Exit 0 when it answers 200,
// 1 otherwise, with one line saying why (Docker keeps it in `docker inspect`).
//
// The node's certificate is verified against the pair's CA (TANDEM_HEALTHCHECK_CA,
// default /run/secrets/ca.pem, the secret every service of compose.yaml gets), so a
// node serving a certificate its peer would refuse is not reported healthy. The host
// name is not checked: the check dials this container's own loopback address, which a
// certificate issued for the node's DNS name need not list.
//
// Node built-ins only: the slim image has no curl, and the check runs every few seconds.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';

const port = Number(process.env.TANDEM_HTTPS_PORT ?? '8443');
const caFile = process.env.TANDEM_HEALTHCHECK_CA ?? '/run/secrets/ca.pem';
const timeoutMs = 4_000;

function fail(message) {
  process.stdout.write(`unhealthy: ${message}\n`);
  process.exit(1);
}

if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`TANDEM_HTTPS_PORT is not a port: ${process.env.TANDEM_HTTPS_PORT}`);
let ca;
try {
  ca = readFileSync(caFile, 'utf8');
} catch (err) {
  fail(`cannot read the CA certificate ${caFile} (set TANDEM_HEALTHCHECK_CA): ${err.message}`);
}

const req = request(
  {
    host: '127.0.0.1',
    port,
    path: '/controller/api/health/live',
    method: 'GET',
    ca,
    checkServerIdentity: () => undefined,
    timeout: timeoutMs,
  },
  (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => (body += chunk));
    res.on('end', () => {
      if (res.statusCode === 200) {
        process.stdout.write('healthy\n');
        process.exit(0);
      }
      fail(`HTTP ${res.statusCode}: ${body.slice(0, 500)}`);
    });
  },
);
req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
req.on('error', (err) => fail(`https://127.0.0.1:${port}/controller/api/health/live: ${err.message}`));
req.end();
