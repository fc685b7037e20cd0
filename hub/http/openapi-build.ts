import { writeCheckedOpenApiDocument } from "./openapi.js";

/** Part of `npm run build`: checks schemas/openapi.yaml as OpenAPI 3.1 and writes the copy the hub starts from. */
await writeCheckedOpenApiDocument();
console.log("schemas/openapi.yaml checked (OpenAPI 3.1): schemas/openapi.checked.json");
