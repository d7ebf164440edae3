// Bindings that `wrangler types` cannot see because they are optional secrets.
interface Env {
  /** Optional: a second admin secret that may call the admin GET routes only. */
  ADMIN_READ_TOKEN?: string;
}
