// Types of tools/wat-plugin.mjs.
export declare function watPlugin(): { name: string; load: (id: string) => Promise<string | null> };
