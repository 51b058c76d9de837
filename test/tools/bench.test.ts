// `npm run bench` says whether each figure with a goal meets it. Only the verdict is tested here:
// speed itself is never asserted by a timed test (the machine is shared and noisy).

import * as assert from "assert";
import { GOALS, verdict } from "../../tools/bench";

describe("npm run bench: goals", () => {
    it("marks a ratio at or under its goal MET, stating the goal", () => {
        assert.strictEqual(verdict(1.12, GOALS.planOverBaseline), "MET (goal: at most x1.30)");
        assert.strictEqual(verdict(1.5, GOALS.sixteenOverTwoRegions), "MET (goal: at most x1.50)");
        assert.strictEqual(verdict(1.304, GOALS.planOverBaseline), "MET (goal: at most x1.30)", "judged as printed: x1.30");
    });

    it("marks a ratio over its goal MISSED, stating the goal", () => {
        assert.strictEqual(verdict(1.31, GOALS.planOverBaseline), "MISSED (goal: at most x1.30)");
        assert.strictEqual(verdict(2.4, GOALS.sixteenOverTwoRegions), "MISSED (goal: at most x1.50)");
    });

    it("never calls a figure it could not compute met", () => {
        assert.strictEqual(verdict(NaN, GOALS.planOverBaseline), "NOT MEASURED (goal: at most x1.30)");
    });
});
