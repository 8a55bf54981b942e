// LocalQueue: being written
