/** Config rules of retained versions (rollback targets), with their exact messages. */
import { describe, expect, it } from "vitest";
import { issuesOf, validBase } from "../config/fixtures.js";

describe("retention rules", () => {
  it("more retained versions than keep", () => {
    const c = validBase();
    Object.assign(c.services.api.strategy, { keep: 1, retained: [{ version: "v0", image: "api:0" }, { version: "v-1", image: "api:-1" }] });
    expect(issuesOf(c)).toEqual([
      { path: "services.api.strategy.retained", message: "2 retained versions but keep is 1; remove the oldest (last) ones or raise keep", value: 2 },
    ]);
  });

  it("a retained version listed twice, a rollback to a version not deployed, or to the canary", () => {
    const c = validBase();
    Object.assign(c.services.api.strategy, { retained: [{ version: "v1", image: "api:1" }], version: "v7", weight: 0 });
    expect(issuesOf(c).map((i) => [i.path, i.message])).toEqual([
      ["services.api.strategy.retained[0].version", 'version "v1" is listed twice; each deployed version appears once'],
      ["services.api.strategy.version", 'version "v7" is not deployed, so traffic cannot go back to it; deployed versions: v1, v2'],
    ]);
    const d = validBase();
    d.services.api.strategy.version = "v2";
    expect(issuesOf(d).map((i) => i.message)).toEqual(['version "v2" is the canary; promote it (brume release promote) instead of pointing version at it']);
  });

  it("a canary weight with a rollback pin, one version with two images, versions that normalise to one name", () => {
    const c = validBase();
    Object.assign(c.services.api.strategy, { retained: [{ version: "v0", image: "api:0" }], version: "v0", weight: 25 });
    expect(issuesOf(c).map((i) => [i.path, i.message])).toEqual([
      ["services.api.strategy.weight", 'weight 25 has no effect while version pins traffic to "v0" (a rollback); set weight: 0, or start a new release to settle the rollback'],
    ]);
    const d = validBase();
    Object.assign(d.services.api.strategy, { retained: [{ version: "1.15.0", image: "api:1.15.0" }, { version: "1-15-0", image: "api:other" }] });
    expect(issuesOf(d).map((i) => [i.path, i.message])).toEqual([
      ["services.api.strategy.retained[1].version", 'version "1-15-0" and "1.15.0" name the same workload once normalised; give one another version'],
    ]);
  });
});
