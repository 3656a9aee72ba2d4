/**
 * The VPC's private zone for `googleapis.com` (./dns.ts `privateGoogleApis`): children of the
 * Network, so every workload of the VPC resolves Google APIs to 199.36.153.8/30.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import type { Naming } from "../../config/naming.js";
import { privateGoogleApis } from "./dns.js";

export interface GoogleApisZone {
  zone: gcp.dns.ManagedZone;
  records: gcp.dns.RecordSet[];
}

export function createGoogleApisZone(
  parent: pulumi.ComponentResource,
  name: string,
  args: {
    project: string;
    naming: Naming;
    networkId: pulumi.Input<string>;
    transform?: { zone?: Transform<gcp.dns.ManagedZoneArgs>; record?: Transform<gcp.dns.RecordSetArgs> };
  },
  opts: pulumi.ComponentResourceOptions | undefined,
): GoogleApisZone {
  const zone = new gcp.dns.ManagedZone(
    ...transformed(
      args.transform?.zone,
      `${name}-googleapis-zone`,
      {
        project: args.project,
        name: args.naming.name("googleapis-zone"),
        dnsName: privateGoogleApis.zoneDnsName,
        description: `Google APIs through private.googleapis.com (${privateGoogleApis.cidr}) for ${args.naming.prefix}; managed by brume`,
        visibility: "private",
        privateVisibilityConfig: { networks: [{ networkUrl: args.networkId }] },
      },
      childOptions(parent, opts),
    ),
  );
  const records = privateGoogleApis.records.map(
    (r) =>
      new gcp.dns.RecordSet(
        ...transformed(
          args.transform?.record,
          `${name}-googleapis-${r.type === "A" ? "private" : "wildcard"}`,
          { project: args.project, managedZone: zone.name, name: r.name, type: r.type, ttl: 300, rrdatas: [...r.rrdatas] },
          childOptions(parent, opts),
        ),
      ),
  );
  return { zone, records };
}
