// The kernel's nice-to-weight table and the shares it predicts.

import test from 'ava';
import { NICE_TO_WEIGHT, niceToWeight, predictedRatio, predictedShare } from '../../../bench/sched/weights.js';

test('sched_prio_to_weight: 40 entries, anchors as in kernel/sched/core.c', (t) => {
  t.is(NICE_TO_WEIGHT.length, 40);
  t.is(niceToWeight(-20), 88761);
  t.is(niceToWeight(-10), 9548);
  t.is(niceToWeight(0), 1024);
  t.is(niceToWeight(5), 335);
  t.is(niceToWeight(10), 110);
  t.is(niceToWeight(19), 15);
  t.true(Object.isFrozen(NICE_TO_WEIGHT));
});

test('each nice step is a factor of about 1.25', (t) => {
  for (let i = 1; i < 40; i++) {
    const f = NICE_TO_WEIGHT[i - 1] / NICE_TO_WEIGHT[i];
    t.true(f > 1.19 && f < 1.31, `step ${i - 21} -> ${i - 20}: ${f}`);
  }
});

test('nice outside -20..19 or not whole is refused', (t) => {
  for (const bad of [-21, 20, 0.5, NaN]) t.throws(() => niceToWeight(bad), { instanceOf: RangeError });
});

test('predictedShare: weight over the sum of weights', (t) => {
  t.deepEqual(predictedShare([0, 0]), [0.5, 0.5]);
  t.deepEqual(predictedShare([]), []);
  t.deepEqual(predictedShare([7]), [1]);
  const [hi, lo] = predictedShare([-10, 10]);
  t.is(hi, 9548 / 9658);
  t.is(lo, 110 / 9658);
  const three = predictedShare([0, 5, 19]);
  t.true(Math.abs(three.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  t.true(three[0] > three[1] && three[1] > three[2]);
  // One nice step between two tasks: about 55:45 (the "10% per step" rule).
  const [a, b] = predictedShare([0, 1]);
  t.true(Math.abs(a - b - 0.11) < 0.01, `${a} - ${b}`);
});

test('predictedRatio of the experiment pairs', (t) => {
  t.is(predictedRatio(0, 0), 1);
  t.true(Math.abs(predictedRatio(-10, 10) - 86.8) < 0.01);
  t.true(Math.abs(predictedRatio(0, 5) - 3.057) < 0.001);
  t.true(Math.abs(predictedRatio(0, 19) - 68.27) < 0.01);
});
