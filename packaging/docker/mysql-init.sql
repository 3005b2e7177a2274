-- First start of the demo's MySQL (docker-compose.yaml): the demo table, its copy kept by the
-- example subscriber, and the two accounts. mysql_native_password because the clients connect
-- without TLS, where MySQL 8.0's default caching_sha2_password needs an RSA key exchange; in a
-- MySQL-only comment, as MariaDB (docker-compose.local.yaml) has it by default and another syntax.
CREATE DATABASE demo;
CREATE TABLE demo.employee (
  id INT PRIMARY KEY,
  fname VARCHAR(50),
  lname VARCHAR(50),
  salary DECIMAL(10,2),
  hired DATE
);
CREATE TABLE demo.employee_copy LIKE demo.employee;

-- The grants the monitor needs (README "Quick start"; `mysql-monitor check` verifies them).
CREATE USER 'monitor'@'%' IDENTIFIED /*!80000 WITH mysql_native_password */ BY 'monitor-pass';
GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO 'monitor'@'%';

-- The example subscriber writes the copy and its applied-position table.
CREATE USER 'consumer'@'%' IDENTIFIED /*!80000 WITH mysql_native_password */ BY 'consumer-pass';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE ON demo.* TO 'consumer'@'%';
