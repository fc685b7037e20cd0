import type { ContractFixtures } from "../../contract-fixtures.js";

export const fixtures: ContractFixtures = { config: {} };
