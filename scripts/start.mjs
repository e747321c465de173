// `npm start`: the whole stack on this machine (DESIGN.md section 9). The edge does not exist yet.
console.log('flowshield: `npm start` is not ready yet: the edge (issue "The edge: UDP data plane") has not landed. See the README.');
