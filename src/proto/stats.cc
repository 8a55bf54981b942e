// implemented by the proto work
