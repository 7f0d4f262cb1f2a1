"""The parts of the app and blueprints that do no IO and use no context
globals, for frameworks that build on them."""
