export interface WranglerSettings {
  compatibilityDate: string;
  compatibilityFlags: string[];
  vars: Record<string, string>;
  durableObjects: { binding: string; className: string }[];
  ratelimits: { name: string; namespaceId: string; limit: number; period: number }[];
}

export function wranglerSettings(tree: string): WranglerSettings;
