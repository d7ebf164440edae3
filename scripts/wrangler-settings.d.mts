export interface WranglerSettings {
  compatibilityDate: string;
  compatibilityFlags: string[];
  vars: Record<string, string>;
  durableObjects: { binding: string; className: string }[];
}

export function wranglerSettings(tree: string): WranglerSettings;
