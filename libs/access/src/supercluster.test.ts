import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CORE_DOMAIN } from '@flowshield/proto';
import { planSupercluster, type ServerAddress } from './supercluster.js';
import { permissionsFor, Role } from './roles.js';

let port = 10_000;
const address = (): ServerAddress => ({ host: '127.0.0.1', client: port++, route: port++, gateway: port++, leaf: port++ });
const links = { route: { user: 'route', password: 'r' }, gateway: { user: 'gateway', password: 'g' }, leaf: { user: 'leaf', password: 'l' } };
const topology = { regions: [{ region: 'eu', sites: ['fra'] }, { region: 'us', sites: ['nyc', 'sfo'] }] };

test('planSupercluster - per region a cluster of its nodes in the core domain, gateways to every region, a leaf server per site in its own domain', () => {
  const nodes = { eu: [address(), address(), address()], us: [address()] };
  const sites = { fra: address(), nyc: address(), sfo: address() };
  const planned = planSupercluster({ topology, nodes, sites, storeDir: (n) => `/store/${n}`, users: [], links });
  assert.deepEqual(planned.map((s) => s.name), ['eu-1', 'eu-2', 'eu-3', 'fra', 'us-1', 'nyc', 'sfo']);
  const eu2 = planned.find((s) => s.name === 'eu-2')!.config;
  assert.equal(eu2.jetstreamDomain, CORE_DOMAIN);
  assert.equal(eu2.cluster!.name, 'eu');
  assert.deepEqual(eu2.cluster!.routes, nodes.eu.map((a) => `127.0.0.1:${a.route}`), 'every node lists every route, itself included');
  assert.deepEqual(eu2.gateway!.gateways.map((g) => g.name), ['eu', 'us']);
  assert.equal(eu2.storeDir, '/store/eu-2');
  const sfo = planned.find((s) => s.name === 'sfo')!;
  assert.equal(sfo.region, 'us');
  assert.equal(sfo.config.jetstreamDomain, 'sfo');
  assert.deepEqual(sfo.config.leafRemote!.urls, [`127.0.0.1:${nodes.us[0]!.leaf}`]);
  assert.equal(sfo.config.cluster, undefined, 'a site is a standalone leaf server');
  // One region: a cluster without gateways.
  const one = planSupercluster({ topology: { regions: [{ region: 'eu', sites: [] }] }, nodes: { eu: nodes.eu }, sites: {}, storeDir: (n) => n, users: [], links });
  assert.ok(one.every((s) => s.config.gateway === undefined));
  assert.throws(() => planSupercluster({ topology, nodes: { eu: nodes.eu }, sites, storeDir: (n) => n, users: [], links }), /no servers for region us/);
  assert.throws(() => planSupercluster({ topology, nodes, sites: { fra: sites.fra }, storeDir: (n) => n, users: [], links }), /no address for site nyc/);
});

test('roles - with a topology the operator reads every region\'s hub and aggregate, and still writes none of them', () => {
  const p = permissionsFor({ role: Role.operator }, topology).publish;
  for (const stream of ['FS_HUB_eu', 'FS_AGG_eu', 'FS_HUB_us', 'FS_AGG_us']) {
    assert.ok(p.includes(`$JS.API.STREAM.INFO.${stream}`), stream);
    assert.ok(p.includes(`$JS.API.CONSUMER.CREATE.${stream}`), stream);
    assert.ok(!p.some((s) => s.startsWith(`$JS.API.STREAM.CREATE.${stream}`) || s.startsWith(`$JS.API.STREAM.UPDATE.${stream}`) || s.startsWith(`$JS.API.CONSUMER.DELETE.${stream}`)), stream);
  }
  assert.ok(!permissionsFor({ role: Role.operator }).publish.some((s) => s.includes('FS_AGG_')), 'none without a topology');
});
