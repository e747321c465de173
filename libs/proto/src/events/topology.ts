import { EVENTS_STREAM, isNameToken } from './names.js';

/**
 * The worldwide layout (DESIGN.md section 5): regions are clusters of one supercluster (one
 * JetStream domain, `CORE_DOMAIN`), and each region has edge sites, each a NATS leaf node with a
 * JetStream domain of its own named after the site. Edges publish into their site's `FS_EVENTS`
 * (the single-node stream, same name and subjects); each region's hub stream sources its sites'
 * streams; every region's aggregate sources every hub and is what that region's replicas read.
 */
export interface Topology {
  regions: { region: string; sites: string[] }[];
}

/** The supercluster's JetStream domain, the one leaf sites reach the regions' streams through. */
export const CORE_DOMAIN = 'core';
/** A site's stream, in the site's own domain: the single-node stream's name and subjects. */
export const SITE_EVENTS_STREAM = EVENTS_STREAM;
export const hubStream = (region: string): string => `FS_HUB_${region}`;
export const aggregateStream = (region: string): string => `FS_AGG_${region}`;
/** The JetStream API prefix of a domain, as stream sources across domains name it. */
export const domainApi = (domain: string): string => `$JS.${domain}.API`;

/** Checks names (subject tokens; regions and sites each unique; no site named like the core domain). */
export function validateTopology(t: Topology): Topology {
  if (!Array.isArray(t?.regions) || t.regions.length === 0) throw new RangeError('a topology needs at least one region');
  const regions = new Set<string>();
  const sites = new Set<string>();
  for (const { region, sites: own } of t.regions) {
    if (!isNameToken(region) || regions.has(region)) throw new RangeError(`region names must be unique, 1-64 of [A-Za-z0-9_-]: ${JSON.stringify(region)}`);
    regions.add(region);
    for (const site of own) {
      if (!isNameToken(site) || site === CORE_DOMAIN || sites.has(site)) {
        throw new RangeError(`site names must be unique, 1-64 of [A-Za-z0-9_-], not ${CORE_DOMAIN}: ${JSON.stringify(site)}`);
      }
      sites.add(site);
    }
  }
  return t;
}

/** The sites of one region (an unknown region has none). */
export function sitesOf(t: Topology, region: string): string[] {
  return t.regions.find((r) => r.region === region)?.sites ?? [];
}
