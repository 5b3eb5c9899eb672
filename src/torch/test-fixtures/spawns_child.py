# Starts a grandchild that inherits the worker's stdio and outlives any timeout, then hangs: the
# bridge must still return at its timeout and end the grandchild with the worker.
import os
import subprocess
import time

INPUT_SHAPES = [[1, 4]]


def build():
    child = subprocess.Popen(["sleep", "300"])
    with open(os.environ["TORCHPORT_TEST_PID_FILE"], "w") as handle:
        handle.write(str(child.pid))
    time.sleep(3600)
