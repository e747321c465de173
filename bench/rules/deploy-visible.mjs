// "A rules deploy visible on a running edge" (issue 13, target < 1 s): a real nats-server with
// the production auth config, one edge process (its default packet workers), and signed records
// written as `flowshield rules deploy` writes them. Per round: from the KV put of a new rules
// version until the edge logs it applied (pino's `time`, same clock) — fetched, checked, compiled
// on the main thread and swapped into every worker. Baseline, in the same run: the same for a
// program version (`flowshield deploy`'s path, which the edge has always hot-reloaded).
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { accessConnectOptions, Role } from '@flowshield/access';
import { NatsTestServer, freePort } from '@flowshield/test-support';
import {
  OperatorSigner, PROGRAMS_BUCKET, RULES_BUCKET, deploymentKey, encodeDeployment, encodeRulesDeployment, publicKeyToText, rulesKey, signDeployment, signRulesDeployment,
} from '@flowshield/proto';

const ROOT = new URL('../../', import.meta.url).pathname;
const sha = (b) => createHash('sha256').update(b).digest('hex');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function deployVisible(rounds = 7) {
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-bench-rules-'));
  const nats = await NatsTestServer.start({ auth: { edgeIds: ['bench'] } });
  const { signer } = OperatorSigner.generate();
  const object = join(dir, 'pfp_example.o');
  execFileSync(process.execPath, [join(ROOT, 'cli/bin/flowshield.js'), 'compile', join(ROOT, 'programs/examples/pfp_example.c'), '-o', object]);
  const program = new Uint8Array(readFileSync(object));
  const nc = await connect({ servers: nats.url, ...accessConnectOptions({ role: Role.operator, creds: nats.creds('operator') }) });
  const programs = await new Kvm(nc).create(PROGRAMS_BUCKET, { history: 64 });
  const rulesKv = await new Kvm(nc).create(RULES_BUCKET, { history: 64 });
  let at = Date.now();
  const putProgram = (version) => programs.put(deploymentKey('bench'), encodeDeployment(signDeployment({
    tenant: 'bench', version, object: program, sha256: sha(program), section: '', failVerdict: 'drop', monitoring: false, budget: 100_000,
    deployedAt: ++at, deployedBy: 'bench', rolledBackFrom: null,
  }, signer)));
  const putRules = (version) => {
    const rules = JSON.stringify({ rules: Array.from({ length: 50 }, (_, i) => ({ id: `r${i}`, expression: `udp.dstport == ${1000 + i + version} and ip.src in {10.${i}.0.0/16}`, action: i % 2 ? 'block' : 'log' })) });
    return rulesKv.put(rulesKey('bench'), encodeRulesDeployment(signRulesDeployment({
      tenant: 'bench', version, rules, sha256: sha(new TextEncoder().encode(rules)), lists: [], deployedAt: ++at, deployedBy: 'bench', rolledBackFrom: null,
    }, signer)));
  };
  await putProgram(1);
  const config = join(dir, 'edge.json');
  writeFileSync(config, JSON.stringify({
    edgeId: 'bench', nats: { servers: [nats.url], creds: nats.creds('edge', 'bench') }, replicaPath: null, metrics: { port: await freePort() },
    operatorKeys: [publicKeyToText(signer.publicKey)],
    services: [{ tenant: 'bench', listen: { host: '127.0.0.1', port: 0 }, origin: { host: '127.0.0.1', port: 9 } }],
  }));
  const edge = spawn(process.execPath, [join(ROOT, 'services/edge/bin/edge.js'), '--config', config], { stdio: ['ignore', 'pipe', 'inherit'] });
  const waiting = [];
  createInterface({ input: edge.stdout }).on('line', (line) => {
    let l;
    try { l = JSON.parse(line); } catch { return; }
    for (const w of [...waiting]) if (w.match(l)) { waiting.splice(waiting.indexOf(w), 1); w.resolve(l); }
  });
  const logged = (match) => new Promise((resolve) => waiting.push({ match, resolve }));
  try {
    await logged((l) => l.msg === 'program deployed');
    const time = async (put, msg, version) => {
      const seen = logged((l) => l.msg === msg && l.version === version);
      const t0 = Date.now();
      await put(version);
      return (await seen).time - t0;
    };
    const rules = [];
    const programsMs = [];
    for (let v = 1; v <= rounds; v++) {
      rules.push(await time(putRules, 'rules deployed', v));
      programsMs.push(await time(putProgram, 'program deployed', v + 1));
    }
    return { rulesMs: median(rules), programMs: median(programsMs), rulesMax: Math.max(...rules) };
  } finally {
    edge.kill('SIGTERM');
    await new Promise((r) => edge.once('exit', r));
    await nc.close();
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await deployVisible();
  console.log(JSON.stringify(r));
}
