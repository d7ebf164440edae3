/** The Hono environment every route and middleware shares. */
import type { AdminPrincipal } from "../admin-principal.js";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    /** SHA-256 (hex) of the bearer token, set by `nodeAuth`. */
    tokenHash: string;
    /** The admin token's role, set by `adminAuth`. */
    adminRole: "write" | "read";
    /** Who the admin token speaks for (name, role, scope), set by `adminAuth`. */
    admin: AdminPrincipal;
  };
}
