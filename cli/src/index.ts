/** cli: see README.md and ../shared/DESIGN.md section 2. */
export {};
