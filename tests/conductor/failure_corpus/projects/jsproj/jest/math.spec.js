const { add, ratio } = require('../math.js');

describe('math', () => {
  test('adds', () => {
    expect(add(2, 3)).toBe(5);  // BUG:jest-assert
  });
  test('divides', () => {
    expect(ratio(1, 0)).toBe(Infinity);
  });
});
