const test = require('node:test');
const assert = require('node:assert');
const { add, ratio } = require('./math.js');

test('adds two numbers', () => {
  assert.strictEqual(add(2, 3), 5);  // BUG:node-assert
});

test('divides', () => {
  assert.strictEqual(ratio(1, 0), Infinity);
});
