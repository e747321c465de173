import type { Topology } from '@flowshield/proto';
import { renderServerConfig, type ServerTls, type ServerUser } from './server-config.js';
import { planSupercluster, type ServerAddress } from './supercluster.js';

/** The users of every shipped template: one per role and one edge, public keys to replace. */
export const TEMPLATE_USERS: readonly ServerUser[] = [
  { role: 'operator', publicKey: 'UOPERATOR_PUBLIC_NKEY_REPLACE_ME' },
  { role: 'state', publicKey: 'USTATE_PUBLIC_NKEY_REPLACE_ME' },
  { role: 'challenge', publicKey: 'UCHALLENGE_PUBLIC_NKEY_REPLACE_ME' },
  { role: 'edge', edgeId: 'edge-1', publicKey: 'UEDGE_1_PUBLIC_NKEY_REPLACE_ME' },
];
const TLS: ServerTls = { cert: '/etc/nats/tls/server.pem', key: '/etc/nats/tls/server-key.pem' };
const LINKS = {
  route: { user: 'route', password: 'ROUTE_PASSWORD_REPLACE_ME' },
  gateway: { user: 'gateway', password: 'GATEWAY_PASSWORD_REPLACE_ME' },
  leaf: { user: 'leaf', password: 'LEAF_PASSWORD_REPLACE_ME' },
};
const STORE = '/var/lib/nats/jetstream';
const node = (name: string): ServerAddress => ({ host: `${name}.nats.internal`, bind: '0.0.0.0', client: 4222, route: 6222, gateway: 7222, leaf: 7422, http: 8222 });

function layout(dir: string, topology: Topology): { path: string; text: string }[] {
  const nodes = Object.fromEntries(topology.regions.map(({ region }) => [region, [1, 2, 3].map((i) => node(`${region}-${i}`))]));
  const sites = Object.fromEntries(topology.regions.flatMap((r) => r.sites).map((site) => [site, node(site)]));
  return planSupercluster({ topology, nodes, sites, users: TEMPLATE_USERS, links: LINKS, storeDir: () => STORE })
    .map((s) => ({ path: `${dir}/${s.name}.conf`, text: renderServerConfig({ ...s.config, tls: TLS }) }));
}

/**
 * Every nats-server config shipped in deploy/nats (paths relative to the repository root), from
 * the same renderer as `flowshield access init` and `flowshield start`: one node; one region of
 * three nodes (R3 streams); two regions of three nodes joined by gateways, each with a leaf site.
 */
export function deployTemplates(): { path: string; text: string }[] {
  return [
    { path: 'deploy/nats/nats-server.conf', text: renderServerConfig({ host: '0.0.0.0', port: 4222, storeDir: STORE, users: TEMPLATE_USERS, tls: TLS }) },
    ...layout('deploy/nats/cluster', { regions: [{ region: 'eu', sites: [] }] }),
    ...layout('deploy/nats/supercluster', { regions: [{ region: 'eu', sites: ['fra'] }, { region: 'us', sites: ['nyc'] }] }),
  ];
}
