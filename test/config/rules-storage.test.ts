/**
 * The buckets' delivery rules (src/config/rules-storage.ts): a CDN domain needs a public bucket and
 * a hostname no other load balancer serves; refused at its config path, with the fix.
 */
import { describe, expect, it } from "vitest";
import { validateConfig } from "../../src/config/load.js";
import { issuesOf, validBase } from "./fixtures.js";

describe("bucket CDN rules", () => {
  it("accepts a public bucket with a CDN domain, and no cdn by default", () => {
    const c = validBase();
    expect(validateConfig(c).buckets.uploads!.cdn).toBeUndefined();
    c.buckets.assets = { public: true, cdn: { domain: "assets.shop.example.com" } };
    expect(validateConfig(c).buckets.assets!.cdn).toEqual({ domain: "assets.shop.example.com" });
  });

  it("refuses a CDN domain on a bucket that is not public, with the fix", () => {
    const c = validBase();
    c.buckets.uploads.cdn = { domain: "files.shop.example.com" };
    const issues = issuesOf(c);
    expect(issues.map((i) => i.path)).toEqual(["buckets.uploads.cdn"]);
    expect(issues[0]!.message).toContain("set buckets.uploads.public: true or remove cdn");
  });

  it("refuses a CDN domain an exposed service already serves, or another bucket's", () => {
    const c = validBase();
    c.buckets.assets = { public: true, cdn: { domain: "api.shop.example.com" } };
    const issues = issuesOf(c);
    expect(issues.map((i) => [i.path, i.value])).toEqual([["buckets.assets.cdn.domain", "api.shop.example.com"]]);
    expect(issues[0]!.message).toContain('already served by service "api"');
    c.buckets.assets.cdn.domain = "static.shop.example.com";
    c.buckets.media = { public: true, cdn: { domain: "static.shop.example.com" } };
    expect(issuesOf(c).map((i) => [i.path, i.message.includes('bucket "assets"')])).toEqual([["buckets.media.cdn.domain", true]]);
  });

  it("refuses a CDN domain that is not a domain name", () => {
    const c = validBase();
    c.buckets.assets = { public: true, cdn: { domain: "https://assets.shop.example.com" } };
    expect(issuesOf(c).map((i) => i.path)).toEqual(["buckets.assets.cdn.domain"]);
  });
});
