// Where webhooks may be delivered. By default only public unicast addresses: loopback,
// private (RFC 1918, CGNAT, IPv6 ULA), link-local, multicast, unspecified, reserved and
// IPv4-mapped forms of these are refused, so an integrator cannot make the server POST into
// the deployment's own network (SSRF). WEBHOOK_ALLOW_HOSTS lets an operator allow internal
// receivers by exact host name or by address/CIDR.
import ipaddr from 'ipaddr.js';

export interface DestinationPolicy {
  /** exact host names (lower case) allowed whatever they resolve to */
  hosts: ReadonlySet<string>;
  /** address ranges allowed even though they are not public */
  cidrs: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];
}

export const PUBLIC_ONLY: DestinationPolicy = { hosts: new Set(), cidrs: [] };

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
const HOST_RE = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/;

/** Parses a comma-separated list of host names, addresses and CIDRs; bad entries are returned. */
export function parseAllowList(raw: string | undefined): { policy: DestinationPolicy; bad: string[] } {
  const hosts = new Set<string>();
  const cidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  const bad: string[] = [];
  for (const entry of (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const e = entry.toLowerCase().replace(/^\[(.*)\]$/, '$1');
    if (e.includes('/')) {
      try {
        const [addr, bits] = ipaddr.parseCIDR(e);
        cidrs.push(addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96
          ? [(addr as ipaddr.IPv6).toIPv4Address(), bits - 96] : [addr, bits]);
      } catch {
        bad.push(entry);
      }
    } else if (ipaddr.isValid(e)) {
      const addr = ipaddr.process(e);
      cidrs.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
    } else if (HOST_RE.test(e)) {
      hosts.add(e.replace(/\.$/, ''));
    } else {
      bad.push(entry);
    }
  }
  return { policy: { hosts, cidrs }, bad };
}

/** True for a public unicast address, or one in an allowed range. Not an address: false. */
export function addressAllowed(address: string, policy: DestinationPolicy): boolean {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(address.replace(/^\[(.*)\]$/, '$1')); // IPv4-mapped IPv6 becomes IPv4
  } catch {
    return false;
  }
  if (policy.cidrs.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits))) return true;
  if (addr.range() !== 'unicast') return false;
  // IPv6: only global unicast; this also refuses the deprecated site-local and IPv4-compatible forms
  return addr.kind() === 'ipv4' || addr.match(GLOBAL_UNICAST_V6);
}

/** A URL's host name is allowed by name (no address check needed). */
export function hostAllowed(hostname: string, policy: DestinationPolicy): boolean {
  return policy.hosts.has(hostname.toLowerCase().replace(/\.$/, ''));
}

/** An IP literal (URL hostnames keep IPv6 in brackets) or null for a name to resolve. */
export function literalAddress(hostname: string): string | null {
  const h = hostname.replace(/^\[(.*)\]$/, '$1');
  return ipaddr.isValid(h) ? h : null;
}
