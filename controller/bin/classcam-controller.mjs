#!/usr/bin/env node
// Runs the built controller (npm run build). During development use `npm start`.
import "../dist/main.js";
