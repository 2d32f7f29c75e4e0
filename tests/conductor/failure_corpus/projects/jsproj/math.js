function add(a, b) {
  return a - b;  // BUG:js-add
}

function ratio(a, b) {
  if (b === 0) throw new RangeError('division by zero');  // BUG:js-throw
  return a / b;
}

module.exports = { add, ratio };
