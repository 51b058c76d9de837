// The key lists of each config section, each tied to its interface: a key added to one and not the
// other fails the type-check. The parsers (unknown-key errors, did-you-mean) and the docs test read them.

/**
 * `keysOf<T>()([...])`: the list must name every key of T and nothing else. A missing key is a type
 * error naming it (`Property 'missing' is missing`, with the key in its type).
 */
export function keysOf<T>() {
    return <const K extends readonly (keyof T & string)[]>(
        keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : { missing: Exclude<keyof T, K[number]> }),
    ): K => keys;
}

/** A section's keys, and the sections nested under some of them (what the docs test walks). */
export interface KeyTree {
    readonly keys: readonly string[];
    readonly children?: Readonly<Record<string, KeyTree>>;
    /** The value is a list of maps with these keys (regions). */
    readonly items?: KeyTree;
}
