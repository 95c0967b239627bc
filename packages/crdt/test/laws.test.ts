import {
  describeLaws,
  gcounterLaws,
  lwwLaws,
  pncounterLaws,
  rowLaws,
} from "../src/testing/index.ts";

// Every CRDT type through the same laws, against the real merge functions.
describeLaws(gcounterLaws);
describeLaws(pncounterLaws);
describeLaws(lwwLaws);
describeLaws(rowLaws({ homeColumn: "home", registerPolicy: "lww" }));
describeLaws(rowLaws({ homeColumn: "home", registerPolicy: "home-wins" }));
