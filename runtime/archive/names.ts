// How an `archpath` names a file in a shard, as AIS cmn/archive namesEq: equal, or equal without a
// leading '/' on either side.
export function namesEq(a: string, b: string): boolean {
  return a === b || a.replace(/^\//, '') === b.replace(/^\//, '');
}
