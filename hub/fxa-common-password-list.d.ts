// fxa-common-password-list ships no types; this is the part of its API the hub uses (hub/identity/password-policy.ts).
declare module "fxa-common-password-list" {
  const list: { test(password: string): boolean };
  export default list;
}
