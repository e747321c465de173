import { CORE_DOMAIN, validateTopology, type Topology } from '@flowshield/proto';
import type { LinkAuth, ServerConfigInput, ServerUser } from './server-config.js';

/** Where one server listens: its host and its ports (0 = that listener is off). */
export interface ServerAddress {
  /** The name or address the others reach it at. */
  host: string;
  /** The address it listens on (default `host`; 0.0.0.0 behind a name). */
  bind?: string;
  client: number;
  route: number;
  gateway: number;
  leaf: number;
  http?: number;
}

export interface SuperclusterInput {
  topology: Topology;
  /** Per region, its cluster's servers (1 = a single node, 3 = R3 streams); the same order for every region. */
  nodes: Record<string, ServerAddress[]>;
  /** Per site, the address of its leaf server (client port; the others unused). */
  sites: Record<string, ServerAddress>;
  /** Store folder of a server, by its name. */
  storeDir: (serverName: string) => string;
  users: readonly ServerUser[];
  /** Passwords of the route, gateway and leaf links. */
  links: { route: LinkAuth; gateway: LinkAuth; leaf: LinkAuth };
}

/** A server's config input and its name (`<region>-<n>` for region nodes, `<site>` for leaf sites). */
export interface PlannedServer {
  name: string;
  region: string;
  /** The site a leaf server is, null for a region node. */
  site: string | null;
  config: ServerConfigInput;
}

const hp = (a: ServerAddress, port: number): string => `${a.host}:${port}`;

/**
 * Every server of a supercluster deployment (DESIGN.md section 5): per region a cluster named
 * after the region (every node lists every node's route, itself included: the same list everywhere, and a one-node cluster still counts as one, one JetStream domain `core` for all regions),
 * gateways between regions, and per site a leaf server with the site's own JetStream domain,
 * linked to every node of its region. One source of truth for deploy/ and `flowshield start`.
 */
export function planSupercluster(input: SuperclusterInput): PlannedServer[] {
  const topology = validateTopology(input.topology);
  const out: PlannedServer[] = [];
  const gateways = topology.regions.map(({ region }) => ({ name: region, urls: nodesOf(input, region).map((a) => hp(a, a.gateway)) }));
  for (const { region, sites } of topology.regions) {
    const nodes = nodesOf(input, region);
    nodes.forEach((a, i) => {
      const name = `${region}-${i + 1}`;
      out.push({
        name, region, site: null,
        config: {
          host: a.bind ?? a.host, port: a.client, ...(a.http ? { httpPort: a.http } : {}), storeDir: input.storeDir(name), users: input.users, topology,
          serverName: name, jetstreamDomain: CORE_DOMAIN,
          cluster: { name: region, host: a.bind ?? a.host, port: a.route, routes: nodes.map((b) => hp(b, b.route)), auth: input.links.route },
          ...(topology.regions.length > 1 ? { gateway: { host: a.bind ?? a.host, port: a.gateway, gateways, auth: input.links.gateway } } : {}),
          leafListen: { host: a.bind ?? a.host, port: a.leaf, auth: input.links.leaf },
        },
      });
    });
    for (const site of sites) {
      const a = input.sites[site];
      if (!a) throw new RangeError(`no address for site ${site}`);
      out.push({
        name: site, region, site,
        config: {
          host: a.bind ?? a.host, port: a.client, ...(a.http ? { httpPort: a.http } : {}), storeDir: input.storeDir(site), users: input.users, topology,
          serverName: site, jetstreamDomain: site,
          leafRemote: { urls: nodes.map((b) => hp(b, b.leaf)), auth: input.links.leaf },
        },
      });
    }
  }
  return out;
}

function nodesOf(input: SuperclusterInput, region: string): ServerAddress[] {
  const nodes = input.nodes[region];
  if (!nodes || nodes.length === 0) throw new RangeError(`no servers for region ${region}`);
  return nodes;
}
