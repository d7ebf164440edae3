/** Request body limits shared by every route that takes a body. */
import { bodyLimit } from "hono/body-limit";
import { raise } from "./errors.js";

export const MAX_BODY_BYTES = 16 * 1024;

export const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => raise("payload-too-large", `request bodies are limited to ${MAX_BODY_BYTES} bytes (16 KiB)`),
});

/** An import carries a whole cluster: up to this many bytes (some 30,000 nodes). */
export const MAX_IMPORT_BYTES = 32 * 1024 * 1024;

export const limitImportBody = bodyLimit({
  maxSize: MAX_IMPORT_BYTES,
  onError: () => raise("payload-too-large", `cluster imports are limited to ${MAX_IMPORT_BYTES} bytes (32 MiB)`),
});
